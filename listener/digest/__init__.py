"""The weekly digest: build (plain data), render (HTML, text, charts), deliver (SMTP + ledger)."""
