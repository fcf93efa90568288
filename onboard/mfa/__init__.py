"""Virtual MFA: TOTP codes checked locally, the QR code, resync, and `onboard mfa`.

`codes` builds the otpauth URI and QR matrix and diagnoses typed codes before
AWS sees them; `resync` resynchronises a drifted device; `cli` is the
`onboard mfa` command. The doctor and the walkthrough both use these.
"""
