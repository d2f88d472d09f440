"""Every URL pattern of the portal, with sample arguments, for the access sweeps."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse


@dataclass
class Route:
    name: str  # "namespace:name"
    kwarg_names: list[str]
    pattern: URLPattern


def all_routes() -> list[Route]:
    routes = []

    def walk(patterns, namespaces, kwarg_names):
        for entry in patterns:
            names = kwarg_names + list(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                ns = namespaces + ([entry.namespace] if entry.namespace else [])
                walk(entry.url_patterns, ns, names)
            elif isinstance(entry, URLPattern):
                if not entry.name:
                    # Django's admin has unnamed redirects; every pattern of ours is named.
                    if namespaces[:1] == ["admin"]:
                        continue
                    raise AssertionError(f"URL pattern {entry.pattern} has no name")
                routes.append(Route(":".join([*namespaces, entry.name]), names, entry))

    walk(get_resolver().url_patterns, [], [])
    return routes


def build_url(route: Route, values: dict) -> str:
    missing = [name for name in route.kwarg_names if name not in values]
    if missing:
        raise AssertionError(
            f"{route.name}: no sample value for URL argument(s) {missing}; add them to the sweep"
        )
    return reverse(route.name, kwargs={name: values[name] for name in route.kwarg_names})
