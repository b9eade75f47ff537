"""``xlapulse notify``: the reference notifier that tells affected people about a dip."""
