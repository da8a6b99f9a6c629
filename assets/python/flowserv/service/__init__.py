"""flowdesk's stand-in for `flowserv.service`: only the post-processing
helpers that benchmark code imports (`flowserv.service.postproc`)."""
