"""Services over the journal and the provider clients: accounts, secrets, suppressions, the
outbox and polling (Qt-free; the window reaches them through the facade)."""
