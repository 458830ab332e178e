"""Pipeline domain logic, the same for every transport, one module per concern:

- `runs`: start a run (validate, cut packets, store, send), finish or fail it;
- `steps`: run one queued message (map a packet, reduce, load a file slice);
- `cleanup`: re-drive stalled runs, fail hopeless ones, drop old input text;
- `dead_letters`: keep, replay and drop messages no attempt could process.

Reads without side effects are in `pipelines.selectors`. Every step is replayable (docs/contract.md
§3.2): the effect and its "done" mark commit in one transaction, and a message delivered twice
finds the mark and changes nothing. Messages are sent with transaction.on_commit, never before
the rows they point to exist.
"""
