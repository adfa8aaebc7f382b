use super::{AddressPoint, Building, Community, Component, Facility, Incident, LandCover, Street};

/// Everything one import or one generator run produces, written to the store in one
/// transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    pub communities: Vec<Community>,
    pub buildings: Vec<Building>,
    pub address_points: Vec<AddressPoint>,
    pub facilities: Vec<Facility>,
    pub streets: Vec<Street>,
    pub incidents: Vec<Incident>,
    /// Basemap areas: water, green, land use.
    pub land_cover: Vec<LandCover>,
    /// City components (部件).
    pub components: Vec<Component>,
}

impl Dataset {
    /// Appends another dataset.
    pub fn extend(&mut self, other: Dataset) {
        self.communities.extend(other.communities);
        self.buildings.extend(other.buildings);
        self.address_points.extend(other.address_points);
        self.facilities.extend(other.facilities);
        self.streets.extend(other.streets);
        self.incidents.extend(other.incidents);
        self.land_cover.extend(other.land_cover);
        self.components.extend(other.components);
    }

    /// Number of features of every kind.
    pub fn len(&self) -> usize {
        self.communities.len()
            + self.buildings.len()
            + self.address_points.len()
            + self.facilities.len()
            + self.streets.len()
            + self.incidents.len()
            + self.land_cover.len()
            + self.components.len()
    }

    /// True when nothing was read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Households at address points: (given, estimated).
    pub fn households(&self) -> (u64, u64) {
        let mut given = 0u64;
        let mut estimated = 0u64;
        for a in &self.address_points {
            if a.households_estimated {
                estimated += u64::from(a.households);
            } else {
                given += u64::from(a.households);
            }
        }
        (given, estimated)
    }
}
