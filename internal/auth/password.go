package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are the argon2id parameters of new password hashes. A hash
// records its own parameters, so changing them applies to new and reset
// passwords while old hashes still verify.
type PasswordParams struct {
	// Memory in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// DefaultPasswordParams is the second recommended parameter set of RFC 9106
// §4: 64 MiB, 3 passes, 4 lanes; with a 16-byte random salt and a 32-byte
// key. It takes some tens of milliseconds per hash on a current server core.
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 3, Threads: 4}

// Salt and key sizes of new hashes.
const (
	saltBytes = 16
	keyBytes  = 32
)

// MinPasswordLen is the shortest password that CheckPassword accepts.
const MinPasswordLen = 12

// maxPasswordLen bounds what is hashed, so that a huge password costs the
// server nothing more.
const maxPasswordLen = 1024

// ErrBadPasswordHash is returned by VerifyPassword for a stored hash that
// is not an argon2id PHC string it can read.
var ErrBadPasswordHash = errors.New("not an argon2id PHC string")

// CheckPassword reports what makes a new password unacceptable: fewer than
// MinPasswordLen characters or more than 1024 bytes.
func CheckPassword(password string) error {
	switch n := len([]rune(password)); {
	case n < MinPasswordLen:
		return fmt.Errorf("password of %d characters, want at least %d", n, MinPasswordLen)
	case len(password) > maxPasswordLen:
		return fmt.Errorf("password longer than %d bytes", maxPasswordLen)
	}
	return nil
}

// HashPassword returns the argon2id hash of password with a new random salt,
// as a PHC string: "$argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>", salt and
// key in unpadded standard base64. The zero PasswordParams means
// DefaultPasswordParams.
func HashPassword(password string, p PasswordParams) (string, error) {
	return hashPassword(rand.Reader, password, p)
}

func hashPassword(r io.Reader, password string, p PasswordParams) (string, error) {
	if p == (PasswordParams{}) {
		p = DefaultPasswordParams
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return "", fmt.Errorf("hash password: invalid parameters %+v", p)
	}
	salt := make([]byte, saltBytes)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyBytes)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time,
		p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC string phc,
// comparing the keys in constant time. A hash it cannot read gives an error
// wrapping ErrBadPasswordHash.
func VerifyPassword(password, phc string) (bool, error) {
	p, salt, key, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	if len(password) > maxPasswordLen {
		password = password[:maxPasswordLen]
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// parsePHC reads an argon2id PHC string, refusing parameters beyond 1 GiB,
// 16 passes or 64 lanes, so that a planted hash cannot stall the server.
func parsePHC(phc string) (PasswordParams, []byte, []byte, error) {
	var p PasswordParams
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" ||
		parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, fmt.Errorf("verify password: %w", ErrBadPasswordHash)
	}
	var threads uint32
	_, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads)
	if err != nil || p.Memory == 0 || p.Memory > 1<<20 || p.Time == 0 || p.Time > 16 ||
		threads == 0 || threads > 64 {
		return p, nil, nil, fmt.Errorf("verify password: parameters: %w", ErrBadPasswordHash)
	}
	p.Threads = uint8(threads)
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("verify password: salt or key: %w", ErrBadPasswordHash)
	}
	return p, salt, key, nil
}

// NewPassword returns a random password of 24 characters (144 bits) from
// the base64url alphabet, for accounts whose creator gave none.
func NewPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
