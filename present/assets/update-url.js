(q, part, kind, docs, type, publisher, grade, from, to, group) => {
  /* After a search: the address bar reproduces it (app.py runs this with the Ask tab's inputs; a library's
     filters follow the query, part and kind; one document has none, and they arrive undefined). */
  try {
    const u = new URL(window.location.href);
    ["q", "part", "kind", "doc", "type", "publisher", "grade", "from", "to", "group"]
      .forEach((k) => u.searchParams.delete(k));
    if (q && q.trim()) u.searchParams.set("q", q.trim());
    if (part && part !== "all") u.searchParams.set("part", part);
    if (kind && kind !== "all") u.searchParams.set("kind", kind);
    if (Array.isArray(docs) && docs.length) u.searchParams.set("doc", docs.join(","));
    [["type", type], ["publisher", publisher], ["grade", grade], ["from", from], ["to", to]].forEach(([k, v]) => {
      if (v !== undefined && v !== null && v !== "" && v !== "all" && v !== "any") u.searchParams.set(k, String(v));
    });
    if (group === true) u.searchParams.set("group", "1");
    window.history.replaceState(null, "", u.toString());
  } catch (e) {}
  return [];
}
