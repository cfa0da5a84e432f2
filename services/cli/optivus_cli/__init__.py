"""The `optivus` command: `optivus run` (the local stack) and client
commands such as `optivus transcribe FILE`."""
