"""Staff surveys: organisation units (units), one-time anonymous invitations (invitations),
response rates and small-unit suppression (suppression)."""
