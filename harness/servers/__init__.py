"""Every FTP server kind the harness can test against, behind one contract.

    contract.py     what any server offers (Server) and the optional abilities
                    (HasFaults, HasStorageLimits, HasTranscript); callers ask with isinstance
    spec.py         what --ftp-server / --ftp-bind / --ftp-passive-ports mean (parsing only)
    factory.py      ServerOptions, and build_server(spec, options): the one place a server is made
    local/          our pyftpdlib server on this PC: storage limits, data and control
                    handlers, transcript, faults, the server
    ssh.py          the same server on a far host, driven over ssh by agent.py
                    (agent_link.py is the pipe, remote_calls.py the allow-list of calls)
    attached.py     an FTP server someone else runs, attached to as a client (ftp://)
    dialects.py     how other servers answer, for ours to answer alike (--ftp-dialect)

Adding a fourth kind means one module and one factory line: write
harness/servers/<kind>.py with a class that meets contract.Server (and whichever
abilities it really has) plus a `build(spec, options)` function, then add one line
for it to KINDS in harness/servers/factory.py.

May import: harness.errors, harness.deadline, harness.digest, harness.link_budget.
"""
