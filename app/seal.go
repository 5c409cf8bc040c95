package app

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// Seal encrypts a secret we must keep (a Vipps webhook secret) with a key
// derived from SIGNING_KEY, so the database never holds it in the clear.
func (l *Links) Seal(plaintext []byte) ([]byte, error) {
	gcm, err := l.gcm()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plaintext, nil), nil
}

// Unseal reverses Seal; it fails if the sealed bytes were altered or the
// key changed.
func (l *Links) Unseal(sealed []byte) ([]byte, error) {
	gcm, err := l.gcm()
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("sealed secret is too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], nil)
}

func (l *Links) gcm() (cipher.AEAD, error) {
	// Its own key: a link MAC and a sealed secret never share one.
	key := sha256.Sum256(append([]byte("sms2vipps sealed secrets\x00"), l.Key...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
