"""What the web client asks for: the ``web_read`` specification of a view (used by the locustfile and by
bench/requests_measure.py, on both sides of the load test)."""

from xml.etree import ElementTree


def view_spec(arch, model, models):
    """The ``web_read`` specification of a view's arch, as the web client builds it (fields of sub-lists too)."""
    root = ElementTree.fromstring(arch)
    fields = models[model]["fields"] if "fields" in models[model] else models[model]

    def spec_of(node, fields):
        spec = {}
        for child in node:
            if child.tag == "field" and child.get("name") in fields:
                name = child.get("name")
                description = fields[name]
                kind = description["type"]
                if kind == "many2one":
                    spec[name] = {"fields": {"display_name": {}}}
                elif kind in ("one2many", "many2many"):
                    comodel = description["relation"]
                    sub = child.find("list")
                    co_fields = models.get(comodel, {}).get("fields", {})
                    if sub is not None and co_fields:
                        spec[name] = {"fields": spec_of(sub, co_fields), "limit": 40}
                    else:
                        spec[name] = {"fields": {"display_name": {}, **({"color": {}} if "color" in co_fields else {})}}
                else:
                    spec[name] = {}
            elif child.tag != "field":
                spec.update(spec_of(child, fields))
        return spec

    return spec_of(root, fields)
