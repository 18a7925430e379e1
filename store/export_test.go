package store

// fastHashMemory is the Argon2id memory (KiB) of test hashes: the
// production 19 MiB costs ~50ms a hash, which hash-heavy tests cannot pay
// hundreds of times. TestDB_HashPassword_Production checks the real one.
const fastHashMemory = 64

// withFastHashes is the only way to lower the Argon2id memory: a test hook
// on an unexported field of Options.
func withFastHashes(opts Options) Options {
	opts.argonMemory = fastHashMemory
	return opts
}
