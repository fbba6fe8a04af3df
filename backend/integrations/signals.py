"""What the adapters announce. `asking(sender)` is sent by every transport to the outside world
(a shop, a courier, an SMS gateway, bKash/Nagad, Meta, a mail server) just before it sends, with
the remote party's name as sender. The adapters know nothing of the database; `backend.commits`
listens and ends a transaction that has only read (none may stay open while the outside world
answers) and refuses one that holds writes (those go through an explicit step). A listener runs
in the asking thread and may raise: the call is then not made."""
from blinker import Namespace

signals = Namespace()

asking = signals.signal("asking")
