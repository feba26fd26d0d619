package cluster

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// TLS keyed by the cluster token. Off loopback every connection (client and route) is TLS
// with one certificate every member derives from the shared token: an ed25519 key from
// sha256("orbital-cluster-tls-v1" + token) and a self-signed certificate over it with fixed
// fields, so every node makes the same bytes. A peer is accepted when it presents exactly
// that key: whoever holds the token can be a member, nobody else can pose as one or read the
// traffic. No CA to distribute, nothing to copy but the join URL.

func tlsKey(tok string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("orbital-cluster-tls-v1\x00" + tok))
	return ed25519.NewKeyFromSeed(seed[:])
}

// tlsConfig is the client and server TLS configuration of a cluster with token tok.
func tlsConfig(tok string) (*tls.Config, error) {
	key := tlsKey(tok)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "orbital-cluster"},
		DNSNames:              []string{"orbital-cluster"},
		NotBefore:             time.Unix(0, 0).UTC(),
		NotAfter:              time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("cluster tls: %w", err)
	}
	pub := key.Public().(ed25519.PublicKey)
	verify := func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("cluster tls: the peer presented no certificate")
		}
		c, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return fmt.Errorf("cluster tls: %w", err)
		}
		k, ok := c.PublicKey.(ed25519.PublicKey)
		if !ok || !bytes.Equal(k, pub) {
			return errors.New("cluster tls: the peer's certificate is not this cluster's (another token?)")
		}
		return nil
	}
	return &tls.Config{
		Certificates:          []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:            tls.VersionTLS13,
		InsecureSkipVerify:    true, // verified by VerifyPeerCertificate: the cluster's key, not a CA
		VerifyPeerCertificate: verify,
		ClientAuth:            tls.RequireAnyClientCert,
		ServerName:            "orbital-cluster",
	}, nil
}
