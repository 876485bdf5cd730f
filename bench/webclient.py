"""What the web client asks for: the ``web_read`` specification of a view (used by the locustfile and by
bench/requests_measure.py, on both sides of the load test)."""

from xml.etree import ElementTree

ALWAYS = ("1", "True", "true")


def view_spec(arch, model, models):
    """The ``web_read`` specification of a view's arch, as the web client builds it (fields of sub-lists too).

    As Odoo 18's ``getFieldsSpec``: a field that every node of the view hides for good (``invisible="1"``,
    or ``column_invisible`` in a sub-list) is read without what only a visible field needs: a many2one
    without its display name, a one2many or many2many as ids only.
    """
    root = ElementTree.fromstring(arch)
    fields = models[model]["fields"] if "fields" in models[model] else models[model]

    def nodes_of(node):
        """The field nodes of this view level, in order (not those of sub-views)."""
        for child in node:
            if child.tag == "field":
                yield child
            else:
                yield from nodes_of(child)

    def spec_of(node, fields):
        spec, visible, first = {}, {}, {}
        for child in nodes_of(node):
            name = child.get("name")
            if name not in fields:
                continue
            hidden = child.get("invisible") in ALWAYS or child.get("column_invisible") in ALWAYS
            visible[name] = visible.get(name, False) or not hidden
            # the node that carries a sub-list describes the field's sub-fields (the first one otherwise)
            if name not in first or (first[name].find("list") is None and child.find("list") is not None):
                first[name] = child
        for name, child in first.items():
            description = fields[name]
            kind = description["type"]
            if kind == "many2one":
                spec[name] = {"fields": {"display_name": {}}} if visible[name] else {"fields": {}}
            elif kind in ("one2many", "many2many"):
                if not visible[name]:
                    spec[name] = {}
                    continue
                comodel = description["relation"]
                sub = child.find("list")
                co_fields = models.get(comodel, {}).get("fields", {})
                if sub is not None and co_fields:
                    spec[name] = {"fields": spec_of(sub, co_fields), "limit": int(sub.get("limit") or 40)}
                else:
                    spec[name] = {"fields": {"display_name": {}, **({"color": {}} if "color" in co_fields else {})}}
            else:
                spec[name] = {}
        return spec

    return spec_of(root, fields)
