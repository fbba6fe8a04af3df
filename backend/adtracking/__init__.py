"""Ad tracking (K2): the shop's Meta Pixel and Conversions API settings, and the server-side
events sent to Meta's Graph API: Purchase when an order is placed, and, as the shop chooses,
a second event when its parcel is delivered and a refund signal when it comes back."""
