"""``highlight watch``: a watch-folder daemon that processes each new recording once.

The parts, one module each:

* ``stability``: when a file is complete (not a temporary name, size and mtime settled,
  and it decodes);
* ``store``: the SQLite record of every file (what was done, with which settings);
* ``worker``: one recording, run in its own child process with ``process_video``;
* ``daemon``: watchdog events + a start-up scan -> settle -> queue -> workers;
* ``service``: a systemd user unit for the current command line;
(The ``highlight watch`` command itself is ``highlight/cli/watch.py``.)
"""
