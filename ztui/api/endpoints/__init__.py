"""The Zuora job endpoints, one module per group of families, built on `Transport.call`."""
