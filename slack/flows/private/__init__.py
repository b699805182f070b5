"""Private incidents in Slack (SPEC §18): their private channel, the headline that says only
that one was declared, Request access and the lead's Approve / Deny, and the channel's
membership kept as who may see the incident."""
