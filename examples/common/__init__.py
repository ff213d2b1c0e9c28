"""What the two reference hosts share: demo data, the portal's pages and their templates.

``site.PortalSite`` turns a framework-neutral ``Request`` into a ``Response``; the Flask and
Django hosts only translate their own request and response objects to and from these.
"""
