package store

import (
	"context"
	"strings"
	"testing"
)

// Production hashes use OWASP's Argon2id parameters, whatever tests lower.
func TestDB_HashPassword_Production(t *testing.T) {
	db := mustOpenDB(t, t.TempDir(), Options{})
	ctx := context.Background()
	stored, err := db.hashPassword(ctx, "a password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry m=19456,t=2,p=1", stored)
	}
	h, err := parsePasswordHash(stored)
	if err != nil || len(h.salt) != 16 || len(h.key) != 32 {
		t.Fatalf("parsed %+v, %v; want a 16-byte salt and a 32-byte key", h, err)
	}
	if ok, err := db.checkPassword(ctx, stored, "a password"); !ok || err != nil {
		t.Errorf("right password: %v, %v", ok, err)
	}
	if ok, err := db.checkPassword(ctx, stored, "a passworD"); ok || err != nil {
		t.Errorf("wrong password: %v, %v", ok, err)
	}
	if !strings.HasPrefix(db.dummyHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("the dummy hash %q costs less than a real one", db.dummyHash)
	}
	again, _ := db.hashPassword(ctx, "a password")
	if again == stored {
		t.Error("two hashes of one password are equal: no fresh salt")
	}
}

// A stored hash carries its parameters: one made with other parameters
// still checks after they change.
func TestDB_CheckPassword_StoredParams(t *testing.T) {
	fast := mustOpenDB(t, t.TempDir(), withFastHashes(Options{}))
	stored, err := fast.hashPassword(context.Background(), "a password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stored, "$m=64,t=2,p=1$") {
		t.Fatalf("test hash %q", stored)
	}
	other := mustOpenDB(t, t.TempDir(), withFastHashes(Options{}))
	other.argon.memory = 128
	if ok, err := other.checkPassword(context.Background(), stored, "a password"); !ok || err != nil {
		t.Errorf("check with changed parameters: %v, %v", ok, err)
	}
}

func TestParsePasswordHash_Invalid(t *testing.T) {
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	if _, err := parsePasswordHash("$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key); err != nil {
		t.Fatalf("the valid base case: %v", err)
	}
	for _, s := range []string{
		"",
		"password",
		"$argon2i$v=19$m=64,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=2$" + salt + "$" + key,
		"$argon2id$v=19$t=2,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=2,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=4,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=2,p=1$" + salt + "==$" + key,
		"$argon2id$v=19$m=64,t=2,p=1$c2FsdA$" + key,
		"$argon2id$v=19$m=64,t=2,p=1$" + salt + "$a2V5",
		"$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key + "$",
	} {
		if _, err := parsePasswordHash(s); err == nil {
			t.Errorf("parsePasswordHash(%q) accepted it", s)
		}
	}
}
