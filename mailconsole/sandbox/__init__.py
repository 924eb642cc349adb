"""The local sandbox: EmailMassivo, SMS.BY, MailingAPI and eMsgNow emulated on one loopback port.

```python
from mailconsole.sandbox import Sandbox, SANDBOX_KEYS

async with Sandbox(host="127.0.0.1", port=0, time_scale=50) as sandbox:
    sandbox.base_url("mailingapi")  # http://127.0.0.1:PORT/mailingapi
    sandbox.messages()              # what GET /_sandbox/messages answers
```

:class:`SandboxThread` runs one in a background thread with its own event loop (for a Qt app
or a synchronous test). ``python -m mailconsole.sandbox`` serves one from the command line.
The package imports only the standard library and aiohttp.
"""

from mailconsole.sandbox.common import PROVIDERS, SANDBOX_KEYS, VERIFIED_DOMAINS
from mailconsole.sandbox.server import Sandbox, SandboxThread, is_loopback_host

__all__ = [
    "PROVIDERS",
    "SANDBOX_KEYS",
    "VERIFIED_DOMAINS",
    "Sandbox",
    "SandboxThread",
    "is_loopback_host",
]
