"""``highlight live``: the frame loop of `highlight run` on a camera or a stream, as it happens.

stream.py     LiveSource: reader thread, bounded frame queue, reconnects, session clock
ring.py       PacketRing: the last seconds of packets (a clip's lead-in, edge refinement)
decisions.py  LiveIntervals: when find_intervals' answer about the past is safe to write
clips.py      a clip from buffered packets (stream copy, or encoded), verified, atomic
outputs.py    LivePart: one output folder per hour; manifest and scores valid at all times
session.py    LiveSession: ties them together; stops cleanly on a signal
status.py     the status line;  preview.py  the --preview window
"""
