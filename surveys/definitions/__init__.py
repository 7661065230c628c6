"""Survey definitions: the file format and its schema, validation, translations of survey texts
(PO round trip), language rights, the life cycle (import, publish, close) and the one way to read a
survey (`lookup`). Demo surveys ship here too."""
