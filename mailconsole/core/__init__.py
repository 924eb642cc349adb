"""The provider-neutral domain of Mail Console: messages, results, events, errors, capabilities.

Nothing here imports Qt, httpx or keyring; a test enforces it.
"""
