// Suggests regions as one types into <input data-region-search="/api/v1/regions?level=…" list="…">: the
// <datalist> gets the regions whose name (or code) matches, each as its code with its kecamatan and kabupaten/kota;
// choosing one puts the code in the field. `data-region-within` names a <select> of the region to search in (a
// kabupaten/kota; empty: all Indonesia). Without this script the field still takes a typed code.
"use strict";

(function () {
  const MIN_LENGTH = 2;
  const WAIT_MS = 200;

  function label(region) {
    const above = region.parent_names.slice(0, 2);
    if (!above.length) return region.name;
    const first = region.level === "kelurahan" ? "Kec. " + above[0] : above[0];
    return region.name + " — " + [first].concat(above.slice(1)).join(", ");
  }

  function enhance(input) {
    const list = document.getElementById(input.getAttribute("list"));
    const shown = document.getElementById(input.dataset.regionShown);
    const within = document.getElementById(input.dataset.regionWithin || "");
    const found = new Map();
    let timer = null;
    let asked = "";

    function showChosen() {
      const region = found.get(input.value.trim());
      if (region && shown) shown.textContent = label(region);
    }

    async function suggest() {
      const typed = input.value.trim();
      const place = within ? within.value : "";
      if (typed.length < MIN_LENGTH || typed + "@" + place === asked || found.has(typed)) return;
      asked = typed + "@" + place;
      let url = input.dataset.regionSearch + "&limit=20&q=" + encodeURIComponent(typed);
      if (place) url += "&within=" + encodeURIComponent(place);
      let regions;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        regions = await response.json();
      } catch (error) {
        return; // offline or refused: typing a code still works
      }
      if (input.value.trim() !== typed || (within ? within.value : "") !== place) return; // asked again since
      list.replaceChildren(
        ...regions.map((region) => {
          found.set(region.code, region);
          const option = document.createElement("option");
          option.value = region.code;
          option.textContent = label(region);
          return option;
        }),
      );
      showChosen();
    }

    input.addEventListener("input", () => {
      showChosen();
      clearTimeout(timer);
      timer = setTimeout(suggest, WAIT_MS);
    });
    if (within) within.addEventListener("change", suggest);
  }

  document.querySelectorAll("input[data-region-search]").forEach(enhance);
})();
