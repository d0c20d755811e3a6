"""The mechanisms of a platform's day, one module each (see `base` for the protocol).

`REGISTRY` lists every mechanism class; inside a phase of the day, mechanisms run in this
order (which also fixes the order in which factors multiply). Adding a mechanism is one
new module and one line here.
"""

from __future__ import annotations

from sim.mechanisms.advertising import Advertising
from sim.mechanisms.bargaining import Bargaining
from sim.mechanisms.base import CHANNELS, FACTORS, PHASES, Day, Mechanism, State
from sim.mechanisms.churn import Churn
from sim.mechanisms.cohorts import Cohorts
from sim.mechanisms.community_group_buying import CommunityGroupBuying
from sim.mechanisms.community_groups import CommunityGroupsMechanism
from sim.mechanisms.coupons import Coupons
from sim.mechanisms.experience import Experience
from sim.mechanisms.fulfillment import FulfillmentMechanism
from sim.mechanisms.gifting import Gifting
from sim.mechanisms.group_buying import GroupBuying
from sim.mechanisms.group_leaders import GroupLeaders
from sim.mechanisms.incentives import Incentives
from sim.mechanisms.kols import KOLs
from sim.mechanisms.multi_homing import MultiHoming
from sim.mechanisms.negative_word_of_mouth import NegativeWordOfMouth
from sim.mechanisms.proxy_purchase import ProxyPurchase
from sim.mechanisms.purchase import Purchase
from sim.mechanisms.recommendations import Recommendations
from sim.mechanisms.referrals import Referrals
from sim.mechanisms.repurchase import Repurchase
from sim.mechanisms.sales_bonus import SalesBonus
from sim.mechanisms.self_purchase import SelfPurchase
from sim.mechanisms.settlement import Settlement
from sim.mechanisms.sharers import Sharers
from sim.mechanisms.sharing import Sharing
from sim.mechanisms.word_of_mouth import WordOfMouth

REGISTRY: list[type[Mechanism]] = [
    Advertising,
    Incentives,
    Sharing,
    Referrals,
    Gifting,
    WordOfMouth,
    Settlement,
    FulfillmentMechanism,
    KOLs,
    Recommendations,
    CommunityGroupsMechanism,
    Coupons,
    GroupLeaders,
    ProxyPurchase,
    CommunityGroupBuying,
    Experience,
    NegativeWordOfMouth,
    GroupBuying,
    Purchase,
    Repurchase,
    SelfPurchase,
    Bargaining,
    SalesBonus,
    Cohorts,
    Sharers,
    Churn,
    MultiHoming,
]

__all__ = ["CHANNELS", "FACTORS", "PHASES", "REGISTRY", "Day", "Mechanism", "State"]
