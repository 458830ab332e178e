"""Pipeline domain logic, the same for every transport, one module per concern:

- `runs`: start a run (validate, cut packets, store, send), finish or fail it;
- `steps`: run one queued message (map a packet or a file's byte range, reduce);
- `ranges`, `range_reading`: a run over an uploaded file, cut into byte ranges each map reads;
- `partials`: a map's partial stored once; `pending`: a run's steps not done, re-sent;
- `cleanup`: re-drive stalled runs, fail hopeless ones, drop old input text;
- `dead_letters`: keep, replay and drop messages no attempt could process.

Reads without side effects are in `pipelines.selectors`. Every step is replayable (docs/contract.md
§3.2): the effect and its "done" mark commit in one transaction, and a message delivered twice
finds the mark and changes nothing. Messages are sent with transaction.on_commit, never before
the rows they point to exist.
"""
