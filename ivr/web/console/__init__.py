"""The agent's desk at /console: status, softphone, the live screen pop, coaching, wrap-up, my work.

Modules: `pages` (the page, its live channel, status, my work), `pop` (what the
screen pop shows, from the call's state and the event stream), `coaching`
(the manual's calming steps, service language and urgent steps), `wrapup`
(checklist ticks and the wrap-up form onto the ticket), `ringing` (the
console answering a call the simulator rings), `softphone` (Twilio access tokens).
"""
