"""``field__any=[ids]``: like ``__in``, with the whole list as one parameter on PostgreSQL
(``= ANY(%s)``). A dashboard filters a dozen queries by the same hundred-odd site ids;
``__in`` makes Django prepare every id of every query one by one, which cost more than the
queries themselves took in the database."""

from django.db.models import Field, ForeignObject, Lookup


class Ids(frozenset[int]):
    """A set of ids for ``__any``: not a list, so Django passes it on whole instead of
    looking into every id for expressions to resolve."""


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [sorted(int(v) for v in value)])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = sorted(int(v) for v in self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def register() -> None:
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)
