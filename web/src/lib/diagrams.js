// Shared by the diagram pages (bundled into each entry by web/build.mjs; this folder is not an entry itself).

// A file may draw several processes: show the diagram whose plane is this process (or its pool).
export async function openProcessDiagram(viewer, processId) {
  if (!processId) return;
  const diagrams = viewer.getDefinitions().diagrams || [];
  const shows = (diagram) => {
    const element = diagram.plane && diagram.plane.bpmnElement;
    if (!element) return false;
    if (element.id === processId) return true;
    return (element.participants || []).some((p) => p.processRef && p.processRef.id === processId);
  };
  const wanted = diagrams.find(shows);
  if (wanted && wanted !== diagrams[0]) await viewer.open(wanted);
}
