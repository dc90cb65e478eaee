"""Adults at risk (Care Act 2014 section 42): the enquiry record adult social care keeps on its own pathway
(processes/adult_at_risk.bpmn), written from its steps' forms and read by the case page, MI and retention."""
