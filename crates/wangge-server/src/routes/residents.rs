//! `/api/residents`: the residents of a grid or street with their personal fields as the
//! role may see them: in full for the admin and for a grid worker in its own grid, masked
//! (`张**`, `138****5678`, `110***********002X`) for a street office in its street, not at
//! all for the other roles (the route policy refuses them). Every read is written to the
//! audit log: who, which area, how many, masked or in full.

use crate::contract::residents::{ResidentAnswer, ResidentsAnswer, ResidentsQuery};
use crate::{AppError, AppState, Principal};
use axum::Extension;
use axum::Json;
use axum::extract::{Query, State};
use wangge_core::access::PersonalView;
use wangge_core::personal::{mask_id_number, mask_name, mask_phone};

/// Most residents one page may hold.
const MAX_PAGE: usize = 1000;

fn number(v: Option<&String>, key: &str, default: usize) -> Result<usize, AppError> {
    v.map_or(Ok(default), |v| {
        v.parse()
            .map_err(|_| AppError::BadRequest(format!("{key}={v:?}: a whole number is required")))
    })
}

/// Residents of the token's area, personal fields in full or masked by role; audited.
#[utoipa::path(get, path = "/api/residents", tag = "residents", params(ResidentsQuery),
    responses(
        (status = 200, description = "a page of residents", body = ResidentsAnswer),
        (status = 400, description = "a bad page"),
        (status = 403, description = "a role that may not read residents, or an area outside the scope"),
    ))]
pub async fn list(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Query(q): Query<ResidentsQuery>,
) -> Result<Json<ResidentsAnswer>, AppError> {
    let live = s
        .live
        .clone()
        .ok_or_else(|| AppError::NotFound("residents live in a workspace".into()))?;
    let masked = match p.role.personal_view() {
        PersonalView::Full => false,
        PersonalView::Masked => true,
        PersonalView::Nothing => {
            return Err(AppError::Forbidden(format!(
                "a {} token may not read residents",
                p.role
            )));
        }
    };
    let grid = q.grid.clone();
    let community = q.community.clone();
    if let Some(g) = &grid
        && !p.has_grid(Some(g))
    {
        return Err(AppError::Forbidden(format!(
            "a grid worker reads the residents of its own grid ({}) only",
            p.scope
        )));
    }
    if let Some(c) = &community
        && !p.has_community(Some(c))
    {
        return Err(AppError::Forbidden(format!(
            "community {c:?} is not in street {:?}",
            p.scope
        )));
    }
    let limit = number(q.limit.as_ref(), "limit", 100)?;
    if limit == 0 || limit > MAX_PAGE {
        return Err(AppError::BadRequest(format!(
            "limit={limit}: 1 to {MAX_PAGE} residents a page"
        )));
    }
    let offset = number(q.offset.as_ref(), "offset", 0)?;
    let who = p.clone();
    let (g, c) = (grid.clone(), community.clone());
    let reader = live.clone();
    let (rows, total) = tokio::task::spawn_blocking(move || {
        reader.read(|st| {
            st.residents_where(
                &|gr, co| {
                    who.has_grid(Some(gr))
                        && who.has_community(Some(co))
                        && g.as_deref().is_none_or(|x| x == gr)
                        && c.as_deref().is_none_or(|x| x == co)
                },
                limit,
                offset,
            )
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let items: Vec<ResidentAnswer> = rows.iter().map(|r| answer(r, masked)).collect();
    live.audit_async(
        &p,
        "residents.read",
        format!(
            "{} of {total} residents {} (grid {}, community {}, offset {offset})",
            items.len(),
            if masked { "masked" } else { "in full" },
            grid.as_deref().unwrap_or("any"),
            community.as_deref().unwrap_or("any"),
        ),
    )
    .await;
    Ok(Json(ResidentsAnswer {
        total,
        offset,
        masked,
        residents: items,
    }))
}

/// A resident as the caller may see them: masked for a street office.
fn answer(r: &wangge_io::store::ResidentRow, masked: bool) -> ResidentAnswer {
    let show = |v: &Option<String>, mask: fn(&str) -> String| {
        v.as_deref()
            .map(|x| if masked { mask(x) } else { x.to_string() })
    };
    ResidentAnswer {
        address: r.resident.address_key.clone(),
        grids: r.grids.clone(),
        grid: r.grid.clone(),
        unit: r.resident.unit.clone(),
        unplaced: r.unplaced,
        community: r.community.clone(),
        name: if masked {
            mask_name(&r.resident.name)
        } else {
            r.resident.name.clone()
        },
        phone: show(&r.resident.phone, mask_phone),
        id_number: show(&r.resident.id_number, mask_id_number),
    }
}
