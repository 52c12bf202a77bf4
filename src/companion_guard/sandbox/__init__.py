"""The sandbox (X1, D2): scripted red-team conversations scored requirement by requirement."""
