"""The telephone edge: Twilio webhooks in, TwiML out, and the carrier adapter."""
