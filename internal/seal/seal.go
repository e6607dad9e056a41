// Package seal encrypts personal data at rest with AES-256-GCM. Each sealed
// value carries the id of the key that sealed it, so keys can rotate: new
// values use the current key, and older keys stay configured for reading.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Keyring seals with its current key and opens with any key it holds.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
	// raw are the keys themselves, the current first: the blind index
	// derives its keys from them (DeriveKeys).
	raw [][]byte
}

// KeyID names a key without revealing it: the first 8 hex digits of its
// SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// NewKey returns a fresh random key, base64 encoded (what LINKAGE_DATA_KEY
// takes).
func NewKey() (string, error) {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		return "", fmt.Errorf("seal: new key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(k[:]), nil
}

// Parse builds a keyring from the current key and older keys, each 32 bytes
// in standard base64.
func Parse(current string, old ...string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, s := range append([]string{current}, old...) {
		s = strings.TrimSpace(s)
		if s == "" {
			if i == 0 {
				return nil, errors.New("seal: no data key given")
			}
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("seal: key %d is not 32 bytes of base64 (generate one with: openssl rand -base64 32)", i+1)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i+1, err)
		}
		id := KeyID(raw)
		if i == 0 {
			k.current = id
		}
		k.aeads[id] = aead
		k.raw = append(k.raw, raw)
	}
	return k, nil
}

// CurrentID is the id of the key new values are sealed with.
func (k *Keyring) CurrentID() string { return k.current }

// Seal encrypts plaintext as "keyid:base64(nonce|ciphertext)". The
// additional data binds the value to its place (say, a case id and a field),
// so a sealed value copied to another row does not open there.
func (k *Keyring) Seal(plaintext, additional []byte) (string, error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, plaintext, additional)
	return k.current + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// ErrUnknownKey says a value was sealed with a key the keyring lacks.
var ErrUnknownKey = errors.New("seal: value sealed with a key that is not configured (add it to LINKAGE_DATA_KEYS_OLD)")

// Open decrypts a value Seal made with the same additional data.
func (k *Keyring) Open(sealed string, additional []byte) ([]byte, error) {
	id, body, ok := strings.Cut(sealed, ":")
	if !ok {
		return nil, errors.New("seal: value is not sealed")
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: key id %s", ErrUnknownKey, id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, errors.New("seal: value is damaged")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], additional)
	if err != nil {
		return nil, errors.New("seal: value does not open (wrong key, damaged, or moved from another record)")
	}
	return plain, nil
}

// KeyIDOf is the key id a sealed value names ("" if it names none).
func KeyIDOf(sealed string) string {
	id, _, ok := strings.Cut(sealed, ":")
	if !ok {
		return ""
	}
	return id
}

// DeriveKeys derives from each data key (the current one first) a key for
// one purpose, named by label, with HKDF-SHA256: a keyed blind index (an
// HMAC of a normalised value) under such a key reveals nothing of the value
// to anyone without the data key, and the keys of two labels (two
// agencies, say) are unrelated. The older keys' are there so that values
// indexed before a key rotation are still found.
func (k *Keyring) DeriveKeys(label string) ([][]byte, error) {
	out := make([][]byte, 0, len(k.raw))
	for _, raw := range k.raw {
		d, err := hkdf.Key(sha256.New, raw, nil, "linkage/"+label, 32)
		if err != nil {
			return nil, fmt.Errorf("seal: derive key %s: %w", label, err)
		}
		out = append(out, d)
	}
	return out, nil
}
