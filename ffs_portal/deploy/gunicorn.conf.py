"""gunicorn as the portal runs it: docker-compose's ``web``, the image's default command and
the rush benchmark (bench/rush.py) read this file, sized by the environment.

``gunicorn -c ffs_portal/deploy/gunicorn.conf.py ffs_portal.wsgi``"""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
# Four processes of two threads per core (bench/README.md, "The morning rush").
workers = int(os.environ.get("WEB_WORKERS", "8"))
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"
# A process takes a connection only when one of its threads is free; the others wait in the
# listening socket's queue, where any process that frees up takes them. Otherwise a busy
# process takes connections it cannot start yet while another stands idle (at 350 tablets
# that made the slowest check-ins wait seconds behind requests of the same process).
worker_connections = threads
# nginx speaks HTTP/1.0 to the portal: one request a connection, none is kept open.
keepalive = 0
timeout = 60
backlog = 2048
