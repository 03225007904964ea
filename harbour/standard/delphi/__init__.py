"""The ILO/EC operational indicators of trafficking (the 2009 "Delphi" lists): the versioned
catalogue (catalogue.py) and the decision rules (rules.py). Pure Python and PyYAML, no Django.
"""

from harbour.standard.delphi.catalogue import (
    ASSESSMENT_FORMAT,
    DEFAULT_CATALOGUE_PATH,
    DESTINATION_DIMENSIONS,
    RECRUITMENT_DIMENSIONS,
    Dimension,
    DimensionId,
    DimensionReason,
    Exploitation,
    Indicator,
    IndicatorCatalogue,
    IndicatorSet,
    LocalizedText,
    Population,
    Source,
    Strength,
    SummaryCode,
    load_catalogue,
    parse_catalogue,
)
from harbour.standard.delphi.rules import (
    Assessment,
    DimensionResult,
    dimension_reason,
    evaluate,
    unmet_requirements,
)

__all__ = [
    "ASSESSMENT_FORMAT",
    "DEFAULT_CATALOGUE_PATH",
    "DESTINATION_DIMENSIONS",
    "RECRUITMENT_DIMENSIONS",
    "Assessment",
    "Dimension",
    "DimensionId",
    "DimensionReason",
    "DimensionResult",
    "Exploitation",
    "Indicator",
    "IndicatorCatalogue",
    "IndicatorSet",
    "LocalizedText",
    "Population",
    "Source",
    "Strength",
    "SummaryCode",
    "dimension_reason",
    "evaluate",
    "load_catalogue",
    "parse_catalogue",
    "unmet_requirements",
]
