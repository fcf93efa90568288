"""SSH for CodeCommit: keys IAM accepts, the managed ~/.ssh/config block, key formats.

`keys` finds, validates and generates RSA keys; `config` writes the block whose
`User` is the SSH key ID and reads what `ssh -G` makes of it; `formats` parses
the public-key encodings IAM and OpenSSH use.
"""
