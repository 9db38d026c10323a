"""Our pyftpdlib server on this PC, split by job.

    storage.py          quota / full-disk limits, the upload file, the account's filesystem view
    data_handler.py     a data connection: storage errors answered properly, data faults
    control_handler.py  a control connection: transcript, HASH / XSHA256, connection faults
    dialect_replies.py  pyftpdlib's replies turned into a dialect's (../dialects.py)
    transcript.py       the timestamped record of every command and reply
    faults.py           the faults that can be injected, checked once
    server.py           FtpServer: one account, one IOLoop in its own thread
    run_folders.py      a run's home folder, removed at its end, swept after a run that was stopped
"""
