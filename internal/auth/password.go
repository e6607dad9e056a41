package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Staff passwords are hashed with argon2id at OWASP's recommended cost
// (19 MiB, 2 passes, 1 lane): about 30 ms a check on one core, paid only
// at sign-in. The PHC string carries its parameters, so a later cost
// change still verifies old hashes.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// Password length bounds: long enough to resist guessing offline, short
// enough that hashing a hostile input costs no more than a real one.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// PasswordProblem says what is wrong with a new password ("" if nothing).
func PasswordProblem(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return "is not valid text"
	case n < MinPasswordLen:
		return fmt.Sprintf("is shorter than %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Sprintf("is longer than %d bytes", MaxPasswordLen)
	case distinctRunes(pw) < 5:
		return "repeats too few characters: use a phrase of several words"
	}
	return ""
}

// HashPassword is the argon2id PHC string of pw with a fresh salt.
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword says whether pw matches the PHC string phc. A malformed
// string, or a password over the length bound, never matches.
func CheckPassword(phc, pw string) bool {
	if len(pw) > MaxPasswordLen {
		return false
	}
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 256*1024 || t == 0 || t > 10 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when no account matches, so a sign-in for
// an unknown email costs what one for a known email does.
var dummyHash = HashPassword("no account has this password")

// CheckNoAccount spends a password check's time and fails.
func CheckNoAccount(pw string) bool {
	CheckPassword(dummyHash, pw)
	return false
}

// NewToken is a random URL-safe token of 32 bytes (sessions, reset links)
// and the SHA-256 the database keeps of it.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token)
}

func distinctRunes(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}
