"""``highlight review``: keep or reject a run's highlights in the browser, saved as training labels.

marks.py    what the user marked, checked, and the labels file made from it
server.py   the local web server (loopback, token, path checks, video with Range)
page.html   the page: score plots, keep/reject, edge drags, added moments, keys
"""
