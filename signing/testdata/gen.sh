#!/bin/sh
# Regenerates the OpenPGP test keys with GnuPG, so the tests also cover keys
# made by the tool users actually have. These keys protect nothing: they are
# fixtures, used only by the tests of this package.
#   sh testdata/gen.sh   (from the package directory; needs gpg)
set -eu
cd "$(dirname "$0")"
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT
# A fixed clock keeps creation dates stable; expiry is set explicitly.
T="--faked-system-time 20240101T000000!"
gen() { # uid algo usage [expire]
	gpg --batch --quiet $T --passphrase '' --quick-gen-key "$1" "$2" "$3" "${4:-never}" 2>/dev/null
}
fpr() { gpg --batch --with-colons --list-keys "$1" | awk -F: '/^fpr/ {print $10; exit}'; }
secret() { gpg --batch --quiet --armor --export-secret-keys "$1"; }

gen 'Ed25519 Test <ed25519@example.org>' ed25519 sign
secret ed25519@example.org >ed25519.asc
gpg --batch --quiet --armor --export ed25519@example.org >ed25519-public.asc

gpg --batch --quiet $T --pinentry-mode loopback --passphrase 'correct horse' \
	--quick-gen-key 'Encrypted Test <encrypted@example.org>' ed25519 sign never 2>/dev/null
gpg --batch --quiet --pinentry-mode loopback --passphrase 'correct horse' \
	--armor --export-secret-keys encrypted@example.org >ed25519-encrypted.asc

gen 'Subkey Test <subkey@example.org>' ed25519 cert
gpg --batch --quiet $T --passphrase '' --quick-add-key "$(fpr subkey@example.org)" ed25519 sign never 2>/dev/null
secret subkey@example.org >ed25519-signing-subkey.asc
gpg --batch --quiet --armor --export-secret-subkeys subkey@example.org >ed25519-offline-primary.asc

gen 'Encrypt Only <encrypt@example.org>' ed25519 cert
gpg --batch --quiet $T --passphrase '' --quick-add-key "$(fpr encrypt@example.org)" cv25519 encr never 2>/dev/null
secret encrypt@example.org >encrypt-only.asc

gen 'RSA 3072 Test <rsa3072@example.org>' rsa3072 sign
secret rsa3072@example.org >rsa3072.asc
gen 'RSA 2048 Test <rsa2048@example.org>' rsa2048 sign
secret rsa2048@example.org >rsa2048.asc
gen 'P-256 Test <p256@example.org>' nistp256 sign
secret p256@example.org >nistp256.asc
gen 'Expiring Test <expiring@example.org>' ed25519 sign 2025-01-01
secret expiring@example.org >ed25519-expires-2025.asc
gpg --batch --quiet $T --cert-digest-algo SHA1 --passphrase '' \
	--quick-gen-key 'SHA1 Self-signature <sha1@example.org>' ed25519 sign never 2>/dev/null
secret sha1@example.org >ed25519-sha1-selfsig.asc
gen 'Weak Primary <weak-primary@example.org>' rsa2048 cert
gpg --batch --quiet $T --passphrase '' --quick-add-key "$(fpr weak-primary@example.org)" ed25519 sign never 2>/dev/null
secret weak-primary@example.org >rsa2048-primary-ed25519-subkey.asc
