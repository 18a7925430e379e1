package importer

import "bytes"

// sniffLen is how much of a file Detect needs to see.
const sniffLen = 64

// Detect says which image type the first bytes of a file are, by their
// magic numbers: file names lie (a .jpg may be a text file, a phone's
// photo may have no extension at all). It returns "" for anything the
// server would not accept.
func Detect(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "image/gif"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "image/webp"
	}
	return detectISOBMFF(head)
}

// detectISOBMFF reads the ftyp box of HEIF-family files: the major brand
// and the compatible brands that follow it.
func detectISOBMFF(head []byte) string {
	if len(head) < 16 || string(head[4:8]) != "ftyp" {
		return ""
	}
	size := int(head[0])<<24 | int(head[1])<<16 | int(head[2])<<8 | int(head[3])
	if size < 16 || size > len(head) {
		size = len(head)
	}
	brands := []string{string(head[8:12])} // major brand; 12:16 is the minor version
	for i := 16; i+4 <= size; i += 4 {
		brands = append(brands, string(head[i:i+4]))
	}
	heif := ""
	for _, b := range brands {
		switch b {
		case "avif", "avis":
			return "image/avif"
		case "heic", "heix", "heim", "heis", "hevc", "hevx":
			return "image/heic"
		case "mif1", "msf1":
			heif = "image/heic" // generic HEIF; keep looking for a more exact brand
		}
	}
	return heif
}
