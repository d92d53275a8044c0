"""listener: social media listening for government policy and communications teams."""

__version__ = "0.1.0"
