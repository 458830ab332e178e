"""OpenAPI (drf-spectacular): ProjectJWTAuthentication is an HTTP Bearer JWT scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class ProjectJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.ProjectJWTAuthentication"
    # Its own name: while REST_FRAMEWORK still names simplejwt's class, both appear, and
    # drf-spectacular refuses two classes under one name.
    name = "jwtBearer"
