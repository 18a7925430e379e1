// Package bench measures fetching one image by id, the timing analysis of
// the project imagerepo descends from (its Redis cache was 7.6x faster than
// MongoDB for a present id and 3.9x for an absent one), at three levels:
// the cache look-up against the store look-up in process, Get through the
// whole image service on a hit, a miss and an absent id, and GET
// /api/images/{id} over HTTP with concurrent keep-alive clients. It reports
// the figures as a table, as JSON or as an SVG bar chart.
//
// It imports only gallery and the standard library: main builds the
// repository it measures (RunLocal) or points it at a running server
// (RunServer).
//
// # Caveats
//
// Misses are made, not waited for: the ids are asked for in turn, all of
// them, through a cache that holds fewer, so every id has been evicted
// before it comes round again (LRU's worst case). Against a running server
// whose cache holds all its images there are no misses to measure; the
// report says how many responses were misses (the X-Cache header), and
// gives no HTTP ratio when most were not what their case is named for.
package bench
