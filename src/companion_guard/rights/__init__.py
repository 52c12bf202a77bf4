"""Data rights, security and operator controls (D1, D3, D4, D5).

Encryption at rest with per-user data keys (:mod:`aead`, :mod:`data_keys`) wrapped by
the master key (:mod:`master_key`, :mod:`master_key_file`, :mod:`master_key_loading`), export and
deletion (:mod:`export`, :mod:`deletion`), consents and outbound flows
(:mod:`consents`, :mod:`flows`), the hash-chained audit log (:mod:`audit`),
complaints (:mod:`complaints`), service-end notices (:mod:`notices`), risk
controls and incidents (:mod:`controls`, :mod:`incidents`), roles (:mod:`roles`),
and the pipeline duty that enforces them (:mod:`duty`). Nothing runs at import.
"""
