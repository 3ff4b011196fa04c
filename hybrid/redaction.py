"""The one redaction marker: what every artifact, mock state and sample shows in place of a secret."""

REDACTED = "[secret]"
