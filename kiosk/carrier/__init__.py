"""The carrier's back office behind one interface (a nested app, label `carrier`).

- `gateway`: the interface every self-service flow speaks (`CarrierGateway`,
  the plain values it exchanges, `get_carrier()`);
- `rules`: the carrier's published rules (data packs G5-G50, 1 yuan per MB
  beyond every allowance, months);
- `errors`: what the interface raises;
- `local`: `LocalCarrier`, the implementation kept in this database (the
  tables of `models`), which the demo and the tests run on;
- `number_patterns`: the number stock's patterns and price tiers.

The kiosk depends on this app, never the reverse.
"""
