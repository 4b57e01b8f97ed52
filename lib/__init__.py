"""Pure code every app may use: no import of a project app, no settings read at import time.

The hash chain, key rings and signed payloads, certificate numbers, eligibility rules, ID and
credit-code checks, working days, charts, rate limiting, files, the Excel reader and writer,
images, personal-data encryption and small web helpers. Tested without a database.
"""
